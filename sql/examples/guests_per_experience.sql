-- Guests per experience and month (from the booking tickets; cancelled bookings left out).
SELECT coalesce(x.name, b.experience_id) AS experience,
       date_trunc('month', b.created_at)::date AS month,
       count(*) AS bookings,
       sum(g.guests) AS guests,
       round(avg(g.guests), 2) AS guests_per_booking
FROM understory.bookings b
JOIN understory.booking_guests g ON g.company_id = b.company_id AND g.booking_id = b.id
LEFT JOIN understory.experiences x ON x.company_id = b.company_id AND x.id = b.experience_id
WHERE b._deleted_at IS NULL AND b.status <> 'CANCELLED'
GROUP BY 1, 2
ORDER BY 2 DESC, 4 DESC;

-- Guests per upcoming event (from the booking tickets), next to the seats the event reports taken.
SELECT e.id AS event, e.start_local, coalesce(x.name, e.experience_id) AS experience,
       count(b.id) FILTER (WHERE b.status <> 'CANCELLED') AS bookings,
       coalesce(sum(g.guests) FILTER (WHERE b.status <> 'CANCELLED'), 0) AS guests,
       e.capacity_reserved AS seats_taken
FROM understory.events e
LEFT JOIN understory.experiences x ON x.company_id = e.company_id AND x.id = e.experience_id
LEFT JOIN understory.bookings b ON b.company_id = e.company_id AND b.event_id = e.id AND b._deleted_at IS NULL
LEFT JOIN understory.booking_guests g ON g.company_id = b.company_id AND g.booking_id = b.id
WHERE e._deleted_at IS NULL AND e.starts_at >= now()
GROUP BY e.company_id, e.id, e.start_local, x.name, e.experience_id, e.capacity_reserved
ORDER BY e.start_local
LIMIT 50;

-- Bookings by status.
SELECT status, count(*) AS bookings, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS percent
FROM understory.bookings
WHERE _deleted_at IS NULL
GROUP BY status
ORDER BY bookings DESC;

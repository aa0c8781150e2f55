-- Marketing consents by where they were given: how many, how many came with a booking, and how
-- many were withdrawn (no longer listed by the API). Needs the marketing.read scope.
SELECT coalesce(source, '(none)') AS source,
       count(*) FILTER (WHERE _deleted_at IS NULL) AS consents,
       count(*) FILTER (WHERE _deleted_at IS NULL AND booking_id IS NOT NULL) AS with_booking,
       count(*) FILTER (WHERE _deleted_at IS NOT NULL) AS withdrawn
FROM understory.marketing_consents
GROUP BY 1
ORDER BY 2 DESC, 1;

-- Seat utilisation per experience for upcoming events.
SELECT coalesce(x.name, e.experience_id) AS experience,
       count(*) AS events,
       sum(e.capacity_reserved) AS seats_taken,
       sum(e.capacity_total) AS seats,
       round(100.0 * sum(e.capacity_reserved) / nullif(sum(e.capacity_total), 0), 1) AS utilisation_percent
FROM understory.events e
LEFT JOIN understory.experiences x ON x.company_id = e.company_id AND x.id = e.experience_id
WHERE e._deleted_at IS NULL AND e.starts_at >= now()
GROUP BY 1
ORDER BY utilisation_percent DESC NULLS LAST
LIMIT 15;

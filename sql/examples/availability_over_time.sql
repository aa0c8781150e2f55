-- Availability over time per experience: for each day on which any of its events' availability
-- changed, how many of the experience's events could be booked and how many could not at the end
-- of that day (UTC), each event as of its latest history row by then. An event that sold out,
-- was cancelled or passed its booking cutoff moves from bookable to not bookable.
WITH days AS (
    SELECT DISTINCT company_id, experience_id, (observed_at AT TIME ZONE 'UTC')::date AS day
    FROM understory.event_availability_history
)
SELECT d.company_id, d.experience_id, x.name AS experience, d.day,
       count(*) FILTER (WHERE e.available) AS bookable_events,
       count(*) FILTER (WHERE NOT e.available) AS unbookable_events
FROM days d
CROSS JOIN LATERAL (
    SELECT DISTINCT ON (h.event_id) h.event_id, h.available
    FROM understory.event_availability_history h
    WHERE h.company_id = d.company_id AND h.experience_id = d.experience_id
      AND h.observed_at < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')
    ORDER BY h.event_id, h.observed_at DESC
) AS e
LEFT JOIN understory.experiences x ON x.company_id = d.company_id AND x.id = d.experience_id
GROUP BY d.company_id, d.experience_id, x.name, d.day
ORDER BY d.company_id, d.experience_id, d.day;

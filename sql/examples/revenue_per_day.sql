-- Revenue per day and currency over the last 30 days (completed orders, exact major units).
SELECT created_at::date AS day, currency, count(*) AS orders, sum(total_amount) AS revenue
FROM understory.orders
WHERE status = 'COMPLETED' AND _deleted_at IS NULL AND created_at >= now() - interval '30 days'
GROUP BY 1, 2
ORDER BY 1 DESC, 2
LIMIT 15;

-- Revenue by ticket variant at catalog prices: the guests booked on each variant (booking ticket
-- items) times the variant's price (cancelled bookings left out). List prices, not what was paid:
-- orders hold the amounts actually charged.
SELECT coalesce(x.name, v.experience_id) AS experience,
       coalesce(v.name, v.id) AS variant,
       v.currency,
       v.price AS catalog_price,
       sum(i.quantity) AS tickets,
       sum(i.quantity * v.price) AS revenue
FROM understory.booking_ticket_items i
JOIN understory.bookings b ON b.company_id = i.company_id AND b.id = i.booking_id
JOIN understory.experience_ticket_variants v
  ON v.company_id = i.company_id AND v.experience_id = b.experience_id AND v.id = i.type_id
LEFT JOIN understory.experiences x ON x.company_id = v.company_id AND x.id = v.experience_id
WHERE i.item_type = 'VARIANT' AND b._deleted_at IS NULL AND b.status <> 'CANCELLED'
GROUP BY v.company_id, v.experience_id, v.id, 1, 2, 3, 4
ORDER BY revenue DESC;

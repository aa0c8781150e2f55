-- The most common answers to each checkout question, per experience: how many bookings gave each
-- answer, ranked per question. Answers are personal data: this counts them, it never names anyone
-- (left out entirely with sync --skip-resource information-answers).
SELECT q.company_id, q.experience_id, x.name AS experience, q.id AS question_id, q.question,
       coalesce(a.answer, '(no answer)') AS answer, count(*) AS bookings,
       rank() OVER (PARTITION BY q.company_id, q.experience_id, q.id ORDER BY count(*) DESC) AS rank
FROM understory.booking_information_answers a
JOIN understory.bookings b ON b.company_id = a.company_id AND b.id = a.booking_id AND b._deleted_at IS NULL
JOIN understory.experience_information_requests q
  ON q.company_id = a.company_id AND q.experience_id = b.experience_id AND q.id = a.information_request_id
LEFT JOIN understory.experiences x ON x.company_id = q.company_id AND x.id = q.experience_id
GROUP BY q.company_id, q.experience_id, x.name, q.id, q.question, a.answer
ORDER BY q.company_id, q.experience_id, q.id, bookings DESC, answer;

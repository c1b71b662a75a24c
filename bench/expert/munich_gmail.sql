-- munich_gmail, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE (starts_with(lower(p.ort), 'mün') OR p.ort = 'Muenchen')
  AND suffix(lower(p.email), '@gmail.com')
  AND NOT contains(p.email, '+test')
  AND p.kunden_id IN (
    SELECT kunden_id FROM web.ereignisse
    WHERE ereignis = 'seitenaufruf'
      AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
      AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
      AND contains(lower(pfad), 'sale'))

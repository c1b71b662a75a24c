-- funnel_3step, hand-written for DuckDB (as_of 2026-11-01T00:00:00Z): ASOF joins pick,
-- for each occurrence, the latest strictly earlier occurrence of the step before.
WITH pv AS (
  SELECT kunden_id AS u, zeitpunkt AS t FROM web.ereignisse
  WHERE ereignis = 'seitenaufruf' AND kunden_id IS NOT NULL
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00' AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
), atc AS (
  SELECT kunden_id AS u, zeitpunkt AS t FROM web.ereignisse
  WHERE ereignis = 'warenkorb' AND kunden_id IS NOT NULL
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00' AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
), buy AS (
  SELECT kunde AS u, bestellt_am AS t FROM shop.bestellungen
  WHERE kunde IS NOT NULL
    AND bestellt_am >= TIMESTAMP '2026-10-02 00:00:00' AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
), carted AS (
  SELECT a.u, a.t FROM atc AS a ASOF JOIN pv AS p ON a.u = p.u AND a.t > p.t
  WHERE a.t <= p.t + INTERVAL 30 MINUTE
), bought AS (
  SELECT DISTINCT b.u FROM buy AS b ASOF JOIN carted AS c ON b.u = c.u AND b.t > c.t
  WHERE b.t <= c.t + INTERVAL 1 DAY
)
SELECT kunden_id AS member_id FROM crm.kunden WHERE kunden_id IN (SELECT u FROM bought)

-- ref_mid_spenders (references bench_customers and bench_recent_buyers),
-- hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z). One pass over the orders:
-- bought, but not in the last 30 days (latest order older), 365-day spend 100-500.
WITH o AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING max(bestellt_am) < TIMESTAMP '2026-10-02 00:00:00'
     AND coalesce(sum(umsatz) FILTER (WHERE bestellt_am >= TIMESTAMP '2025-11-01 00:00:00'), 0)
         BETWEEN 100 AND 500
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunde FROM o)

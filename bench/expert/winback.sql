-- winback (references bench_customers and bench_recent_buyers), hand-optimised
-- for DuckDB (as_of 2026-11-01T00:00:00Z). "Bought ever, not in the last 30 days"
-- is one aggregate: the latest order is older than 30 days.
WITH lapsed AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING max(bestellt_am) < TIMESTAMP '2026-10-02 00:00:00'
),
mail AS (
  SELECT kunden_id
  FROM legal.einwilligungen
  WHERE zweck = 'newsletter'
    AND geaendert_am <= TIMESTAMP '2026-11-01 00:00:00'
    AND status IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY kunden_id
  HAVING max(epoch_us(geaendert_am) * 4
             + CASE WHEN status <> 'erteilt' THEN 2
                    WHEN bestaetigt_am <= TIMESTAMP '2026-11-01 00:00:00' THEN 1
                    ELSE 0 END) % 4 = 1
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.email IS NOT NULL
  AND p.ist_mitarbeiter IS NOT TRUE
  AND p.kunden_id IN (SELECT kunde FROM lapsed)
  AND p.kunden_id IN (SELECT kunden_id FROM mail)

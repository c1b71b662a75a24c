-- new_signups, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- A date trait in a window is read as 00:00 UTC of that day.
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.angemeldet_am >= DATE '2026-09-02'
  AND p.angemeldet_am <= DATE '2026-11-01'
  AND p.alter >= 18
  AND p.ist_mitarbeiter IS NOT TRUE
  AND p.kunden_id IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM shop.bestellungen AS b
    WHERE b.kunde = p.kunden_id
      AND b.bestellt_am <= TIMESTAMP '2026-11-01 00:00:00')

-- Which statement listed each sale, and each reversal: a statement claims its lines in the
-- transaction that issues it, so a sale committing after the pass, or reversed after its
-- statement went out, is listed on the next statement as an adjustment, never lost or changed.
ALTER TABLE discount_sales ADD COLUMN stated_on DATE;
ALTER TABLE discount_sales ADD COLUMN reversal_stated_on DATE;
UPDATE discount_sales SET stated_on = sale_day
    WHERE EXISTS (SELECT 1 FROM settlement_statements s
                  WHERE s.merchant_id = discount_sales.merchant_id AND s.day = discount_sales.sale_day);
UPDATE discount_sales SET reversal_stated_on = stated_on WHERE reversed_at IS NOT NULL AND stated_on IS NOT NULL;
CREATE INDEX discount_sales_unstated ON discount_sales (merchant_id, sale_day) WHERE stated_on IS NULL;
CREATE INDEX discount_sales_reversal_unstated ON discount_sales (merchant_id)
    WHERE reversed_at IS NOT NULL AND reversal_stated_on IS NULL;

-- A statement's totals as mailed: what it said stays what it said.
ALTER TABLE settlement_statements ADD COLUMN sales INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settlement_statements ADD COLUMN reversed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settlement_statements ADD COLUMN adjustments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settlement_statements ADD COLUMN vouchers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settlement_statements ADD COLUMN original_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE settlement_statements ADD COLUMN discount_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE settlement_statements ADD COLUMN paid_fen BIGINT NOT NULL DEFAULT 0;
-- Statements issued before: their totals as their lines now say (the ledger check recomputes them).
UPDATE settlement_statements SET
    sales = (SELECT COUNT(*) FROM discount_sales d
             WHERE d.merchant_id = settlement_statements.merchant_id AND d.stated_on = settlement_statements.day),
    reversed = (SELECT COUNT(*) FROM discount_sales d
                WHERE d.merchant_id = settlement_statements.merchant_id AND d.stated_on = settlement_statements.day
                  AND d.reversed_at IS NOT NULL),
    original_fen = COALESCE((SELECT SUM(d.original_fen) FROM discount_sales d
                             WHERE d.merchant_id = settlement_statements.merchant_id
                               AND d.stated_on = settlement_statements.day AND d.reversed_at IS NULL), 0),
    discount_fen = COALESCE((SELECT SUM(d.discount_fen) FROM discount_sales d
                             WHERE d.merchant_id = settlement_statements.merchant_id
                               AND d.stated_on = settlement_statements.day AND d.reversed_at IS NULL), 0),
    paid_fen = COALESCE((SELECT SUM(d.paid_fen) FROM discount_sales d
                         WHERE d.merchant_id = settlement_statements.merchant_id
                           AND d.stated_on = settlement_statements.day AND d.reversed_at IS NULL), 0);

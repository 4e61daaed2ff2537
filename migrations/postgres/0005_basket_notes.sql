-- The trade journal's note per basket, written by the operator on the dashboard.
CREATE TABLE basket_notes (
    basket_id   BIGINT  PRIMARY KEY REFERENCES baskets (id),
    note        TEXT    NOT NULL,
    updated_ms  BIGINT  NOT NULL
);

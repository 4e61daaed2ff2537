-- The trade journal's note per basket, written by the operator on the dashboard.
CREATE TABLE basket_notes (
    basket_id   INTEGER PRIMARY KEY REFERENCES baskets (id),
    note        TEXT    NOT NULL,
    updated_ms  INTEGER NOT NULL
);

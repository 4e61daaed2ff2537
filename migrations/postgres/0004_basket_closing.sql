-- Status `closing`: an emergency close placed its exit sell, which has not filled yet.
ALTER TABLE baskets DROP CONSTRAINT baskets_status_check;
ALTER TABLE baskets ADD CONSTRAINT baskets_status_check CHECK (status IN
    ('active', 'closed', 'stopped', 'emergency_closed', 'reanchored', 'error', 'closing'));

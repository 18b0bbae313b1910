-- 013: accounts whose password someone else chose (imported, reset, created by the admin)
-- must pick their own at the next sign-in. A settings row flags a demo store (see loaders/demo.py).
ALTER TABLE staff ADD COLUMN must_change_password BOOLEAN DEFAULT FALSE;
UPDATE staff SET must_change_password = FALSE;

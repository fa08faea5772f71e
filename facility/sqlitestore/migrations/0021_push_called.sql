-- What the family member calls residents ("Mum"), by resident id, as JSON: the words of the
-- notices sent to this subscription. It lives and goes with the subscription's row.
ALTER TABLE push_subscriptions ADD COLUMN called TEXT NOT NULL DEFAULT '{}';

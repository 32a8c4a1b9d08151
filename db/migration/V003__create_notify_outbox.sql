-- Subscription notifications waiting for delivery, written in the same transaction as the change
-- they announce, so that no committed change that matches a subscription is ever missed. Delivery
-- workers (any replica) claim the oldest pending row of each subscription with FOR UPDATE SKIP
-- LOCKED and a lease; a subscription's later rows wait until its head row is delivered (in order).
CREATE TABLE notify_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('handshake', 'notification')),
    res_type        text,
    res_id          text,
    res_version     integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dropped')),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,
    lease_owner     uuid,
    attempts        integer     NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    last_error      text,
    finished_at     timestamptz
);

-- The head of each subscription's queue, and the due rows, are found from the pending rows only.
CREATE INDEX notify_outbox_pending_idx ON notify_outbox (subscription_id, id) WHERE state = 'pending';
CREATE INDEX notify_outbox_due_idx ON notify_outbox (next_attempt_at) WHERE state = 'pending';

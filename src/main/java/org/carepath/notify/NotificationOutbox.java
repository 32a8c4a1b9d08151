package org.carepath.notify;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

/** The SQL of the notify_outbox table: queueing inside a write's transaction, claiming, and outcomes. */
@Repository
class NotificationOutbox {

    /** A queued notification (or handshake) as a worker claimed it. */
    record Row(long id, String subscriptionId, String kind, String resourceType, String resourceId,
               Integer resourceVersion, int attempts) {

        boolean handshake() {
            return "handshake".equals(kind);
        }
    }

    private final NamedParameterJdbcTemplate jdbc;

    NotificationOutbox(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Queues, in the caller's transaction, a notification of one version of a resource. */
    void enqueue(String subscriptionId, String type, String id, int version) {
        jdbc.update("""
                INSERT INTO notify_outbox (subscription_id, kind, res_type, res_id, res_version)
                VALUES (:subscription, 'notification', :type, :id, :version)""",
                new MapSqlParameterSource("subscription", subscriptionId).addValue("type", type)
                        .addValue("id", id).addValue("version", version));
    }

    /** Queues the handshake that makes a requested subscription active. */
    void enqueueHandshake(String subscriptionId) {
        jdbc.update("INSERT INTO notify_outbox (subscription_id, kind) VALUES (:subscription, 'handshake')",
                new MapSqlParameterSource("subscription", subscriptionId));
    }

    /**
     * Claims up to {@code limit} due rows, each the oldest pending row of its subscription, for
     * {@code lease}. Rows another worker holds (locked now, or leased) are skipped, and so are
     * the rows behind them: one delivery per subscription at a time, in order.
     */
    List<Row> claim(UUID owner, int limit, Duration lease) {
        return jdbc.query("""
                WITH heads AS (
                    SELECT o.id FROM notify_outbox o
                    WHERE o.state = 'pending' AND o.next_attempt_at <= now()
                      AND (o.leased_until IS NULL OR o.leased_until < now())
                      AND NOT EXISTS (SELECT 1 FROM notify_outbox e
                                      WHERE e.subscription_id = o.subscription_id AND e.state = 'pending' AND e.id < o.id)
                    ORDER BY o.id
                    LIMIT :limit
                    FOR UPDATE OF o SKIP LOCKED)
                UPDATE notify_outbox o
                SET leased_until = now() + :lease * interval '1 millisecond', lease_owner = :owner,
                    attempts = o.attempts + 1, last_attempt_at = now()
                FROM heads WHERE o.id = heads.id
                RETURNING o.id, o.subscription_id, o.kind, o.res_type, o.res_id, o.res_version, o.attempts""",
                new MapSqlParameterSource("limit", limit).addValue("lease", lease.toMillis()).addValue("owner", owner),
                NotificationOutbox::row);
    }

    private static Row row(ResultSet rs, int n) throws SQLException {
        int version = rs.getInt("res_version");
        return new Row(rs.getLong("id"), rs.getString("subscription_id"), rs.getString("kind"), rs.getString("res_type"),
                rs.getString("res_id"), rs.wasNull() ? null : version, rs.getInt("attempts"));
    }

    /** The endpoint took it. Only the lease holder may say so. */
    boolean delivered(Row row, UUID owner) {
        return jdbc.update("""
                UPDATE notify_outbox SET state = 'delivered', finished_at = now(), leased_until = NULL, last_error = NULL
                WHERE id = :id AND lease_owner = :owner AND state = 'pending'""",
                new MapSqlParameterSource("id", row.id()).addValue("owner", owner)) == 1;
    }

    /** The attempt failed: the row waits {@code retryIn} and keeps its place at the head of its queue. */
    void failed(Row row, UUID owner, String error, Duration retryIn) {
        jdbc.update("""
                UPDATE notify_outbox SET leased_until = NULL, last_error = :error,
                    next_attempt_at = now() + :delay * interval '1 millisecond'
                WHERE id = :id AND lease_owner = :owner AND state = 'pending'""",
                new MapSqlParameterSource("id", row.id()).addValue("owner", owner)
                        .addValue("error", error.length() > 2000 ? error.substring(0, 2000) : error)
                        .addValue("delay", retryIn.toMillis()));
    }

    /** The subscription is gone or off: its pending rows are given up, with the reason. */
    void dropPending(String subscriptionId, String reason) {
        jdbc.update("""
                UPDATE notify_outbox SET state = 'dropped', finished_at = now(), leased_until = NULL, last_error = :reason
                WHERE subscription_id = :subscription AND state = 'pending'""",
                new MapSqlParameterSource("subscription", subscriptionId).addValue("reason", reason));
    }
}

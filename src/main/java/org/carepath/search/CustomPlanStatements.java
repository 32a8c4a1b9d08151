package org.carepath.search;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import org.postgresql.PGStatement;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

/**
 * Runs search SQL with plans made for its bound values. A search's best plan depends on them
 * (which criterion is the rare one): a generic plan, which PostgreSQL may keep for a prepared
 * statement after its fifth execution, was measured at 95 ms instead of 0.1 ms, and at 949 ms
 * instead of 0.04 ms for the subscription search every write runs. The server's
 * other statements (key lookups, inserts) keep PostgreSQL's default and so their generic plans,
 * which spares planning them on every execution (docs/performance.md, "Search planning
 * (session 16)").
 *
 * <p>Inside a transaction (the connection not in auto-commit) a search first sets {@code
 * plan_cache_mode = force_custom_plan} for the rest of that transaction ({@code SET LOCAL}), and
 * its statement stays prepared on the connection (parsed once). Outside one, where {@code SET
 * LOCAL} would do nothing, the statement is sent unnamed (pgjdbc's prepareThreshold 0), which
 * PostgreSQL plans with its values every time.
 */
final class CustomPlanStatements extends JdbcTemplate {

    private CustomPlanStatements(JdbcTemplate shared) {
        super(shared.getDataSource()); // the same pool, so a search joins the caller's transaction
        setFetchSize(shared.getFetchSize());
        setMaxRows(shared.getMaxRows());
        setQueryTimeout(shared.getQueryTimeout());
    }

    /** The template's counterpart whose statements are planned for their values. */
    static NamedParameterJdbcTemplate of(NamedParameterJdbcTemplate shared) {
        return new NamedParameterJdbcTemplate(new CustomPlanStatements(shared.getJdbcTemplate()));
    }

    @Override
    protected void applyStatementSettings(Statement statement) throws SQLException {
        super.applyStatementSettings(statement);
        Connection connection = statement.getConnection();
        if (!connection.getAutoCommit()) { // in a transaction block, where SET LOCAL holds until its end
            try (Statement set = connection.createStatement()) {
                set.execute("SET LOCAL plan_cache_mode = force_custom_plan");
            }
        } else {
            statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        }
    }
}

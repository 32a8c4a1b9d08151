package org.carepath.search;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Searches are planned for their own values while the pool's sessions keep PostgreSQL's default
 * plan cache (generic plans for the other statements): docs/performance.md, "Search planning
 * (session 16)".
 */
class SearchPlanningIT extends TaggedSearchTest {

    private static final String SEARCH_SQL = "%FROM resource r WHERE r.res_type%";

    @Autowired
    private ResourceSearch search;

    @Autowired
    private SearchParameters parameters;

    @Autowired
    private DataSource dataSource;

    @Autowired
    private PlatformTransactionManager transactions;

    @Test
    void aSearchRepeatedPastThePreparationThresholdAnswersForEachPatient() {
        newTag();
        List<String> patients = List.of(create("Patient", "{\"resourceType\":\"Patient\"}"),
                create("Patient", "{\"resourceType\":\"Patient\"}"), create("Patient", "{\"resourceType\":\"Patient\"}"));
        String open = create("Flag", flag("active", patients.get(0)));
        create("Flag", flag("inactive", patients.get(1)));
        String second = create("Flag", flag("active", patients.get(2)));
        String third = create("Flag", flag("active", patients.get(2)));
        // pgjdbc prepares a statement on its fifth execution and PostgreSQL may keep a generic plan
        // after five more: every round still answers for its own patient and status.
        for (int round = 0; round < 8; round++) {
            assertThat(ids("Flag", "patient=Patient/" + patients.get(0) + "&status=active")).containsExactly(open);
            assertThat(ids("Flag", "patient=Patient/" + patients.get(1) + "&status=active")).isEmpty();
            assertThat(ids("Flag", "patient=Patient/" + patients.get(2) + "&status=active"))
                    .containsExactlyInAnyOrder(second, third);
            assertThat(ids("Flag", "patient=Patient/" + patients.get(1) + "&status=inactive")).hasSize(1);
        }
    }

    @Test
    void customPlansLastOnlyAsLongAsTheSearchsTransaction() {
        SearchRequest active = search.parse("Flag", Map.of("status", List.of("active")));
        JdbcTemplate sql = new JdbcTemplate(dataSource);
        String inside = new TransactionTemplate(transactions).execute(status -> {
            search.page(active, null, 10);
            return sql.queryForObject("SELECT current_setting('plan_cache_mode')", String.class);
        });
        assertThat(inside).isEqualTo("force_custom_plan");
        // Every pooled session is back at the default, so key lookups and inserts keep generic plans.
        for (int i = 0; i < 20; i++) {
            assertThat(sql.queryForObject("SELECT current_setting('plan_cache_mode')", String.class)).isEqualTo("auto");
        }
    }

    @Test
    void outsideATransactionASearchIsNeverPreparedOnTheConnection() throws Exception {
        HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
        // A connection of its own, outside the pool: nothing is prepared on it yet.
        try (Connection connection = DriverManager.getConnection(pool.getJdbcUrl(), pool.getUsername(), pool.getPassword())) {
            SingleConnectionDataSource one = new SingleConnectionDataSource(connection, true);
            ResourceSearch onOne = new ResourceSearch(new NamedParameterJdbcTemplate(one), parameters);
            SearchRequest active = onOne.parse("Flag", Map.of("status", List.of("active")));
            JdbcTemplate sql = new JdbcTemplate(one);
            for (int i = 0; i < 12; i++) {
                onOne.page(active, null, 10);
            }
            // Unnamed every time: PostgreSQL plans it with its values (SET LOCAL would do nothing here).
            assertThat(prepared(sql)).isZero();
            assertThat(sql.queryForObject("SELECT current_setting('plan_cache_mode')", String.class)).isEqualTo("auto");
            new TransactionTemplate(new DataSourceTransactionManager(one)).executeWithoutResult(status -> {
                for (int i = 0; i < 12; i++) {
                    onOne.page(active, null, 10);
                }
            });
            // In a transaction it is prepared once (parsed once) and planned per value by SET LOCAL.
            assertThat(prepared(sql)).isEqualTo(1);
        }
    }

    private static int prepared(JdbcTemplate sql) {
        return sql.queryForObject("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE ?", Integer.class,
                SEARCH_SQL);
    }

    private static String flag(String status, String patient) {
        return """
                {"resourceType":"Flag","status":"%s","code":{"text":"fever"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(status, patient);
    }
}

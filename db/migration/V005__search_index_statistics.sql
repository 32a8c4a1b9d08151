-- Multi-column statistics for the search index tables. A search condition is always
-- res_type AND param AND value, and the three are strongly dependent (a questionnaire url only
-- occurs under QuestionnaireResponse/questionnaire), so the planner's default (independent
-- columns) underestimated the common pathway values by 100 times and more: the recovery check-in
-- url, 12,000 rows, was estimated at 97, and at 200 patients at 1 row, as selective as a
-- patient's own references; the QuestionnaireResponse search then drove from all check-ins of all
-- patients (1,200 rows, 15-35 ms of SQL instead of 0.2 ms), which grows with the number of
-- patients. Measured with bench/run; see docs/performance.md. ANALYZE (autovacuum) fills them.
CREATE STATISTICS idx_reference_url_stats (mcv, dependencies) ON res_type, param, url FROM idx_reference;
CREATE STATISTICS idx_token_code_stats (mcv, dependencies) ON res_type, param, code, system FROM idx_token;

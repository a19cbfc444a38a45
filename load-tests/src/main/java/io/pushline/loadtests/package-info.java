/**
 * Load-test scenarios, physical-limit baselines measured in the same run, and reports.
 *
 * <p>Not built yet: the load-tests issue adds the {@code pushline bench} runner here.
 */
package io.pushline.loadtests;

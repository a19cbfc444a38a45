/**
 * Load tests: {@code pushline bench SCENARIO}, each scenario measured next to a baseline from the same run on the same
 * machine, written as {@code report.json} and a self-contained {@code report.html}. Tests assert behaviour; these
 * measure speed.
 */
package io.pushline.loadtests;

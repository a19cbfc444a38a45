/**
 * JMH micro-benchmarks of Pushline's per-record hot paths, each next to a baseline measured in the same run.
 *
 * <p>Run them from the packaged module (JMH's annotation processor writes {@code META-INF/BenchmarkList} into the
 * jar):
 *
 * <pre>
 * ./mvnw -q -DskipTests package -pl load-tests -am
 * java -cp 'load-tests/target/pushline-bench.jar:load-tests/target/lib/*' org.openjdk.jmh.Main -f 1 -wi 2 -i 3
 * </pre>
 *
 * <p>Add a regular expression to run some of them ({@code Codec}, {@code Dedup}), {@code -p type=PUSH_TASK} to
 * pick a parameter, {@code -h} for JMH's options.
 */
package io.pushline.loadtests.jmh;

package io.pushline.app;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module layout of the README's Modules section (and ARCHITECTURE.md), checked on the compiled production classes
 * of every module, so it cannot rot: each module's package ({@code io.pushline.<module>..}) may use only the modules
 * its row allows, and no two modules depend on each other in a circle. The allow-lists name what a module MAY use, so
 * a module added later is refused everywhere until a row says otherwise.
 *
 * <p>{@code load-tests} is not on this class path; Maven holds its direction (it depends on local-stack and ingest, not
 * on app).
 */
class DependencyDirectionTest {
    /** Each module's package (under io.pushline) and the packages of ours it may use, besides its own. */
    static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

    static {
        ALLOWED.put("contracts", Set.of());
        ALLOWED.put("publisher", Set.of("contracts"));
        ALLOWED.put("push", Set.of());
        ALLOWED.put("mock", Set.of());
        ALLOWED.put("localkafka", Set.of());
        ALLOWED.put("testkit", Set.of());
        ALLOWED.put("credentials", Set.of());
        ALLOWED.put("topology", Set.of("contracts"));
        ALLOWED.put("coordinators", Set.of("contracts"));
        ALLOWED.put("workers", Set.of("contracts", "push"));
        ALLOWED.put("ingest", Set.of("contracts", "credentials"));
        ALLOWED.put("admin", Set.of("contracts", "credentials", "coordinators", "topology", "workers"));
        ALLOWED.put("observability", Set.of("contracts", "push", "topology", "coordinators", "workers"));
        ALLOWED.put("pipeline", Set.of("contracts", "push", "topology", "coordinators", "workers", "observability"));
        ALLOWED.put("localstack", Set.of("contracts", "push", "topology", "coordinators", "workers", "observability", "pipeline",
                "mock", "localkafka"));
        ALLOWED.put("app", Set.of("contracts", "push", "topology", "coordinators", "workers", "credentials", "ingest", "admin",
                "observability", "pipeline", "localstack", "mock", "localkafka"));
    }

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.pushline");
    }

    @Test
    void everyModuleIsImported() {
        // Guards against a rule passing because the classes it speaks of were never looked at.
        Set<String> missing = new TreeSet<>();
        for (String module : ALLOWED.keySet()) {
            if (classes.stream().noneMatch(c -> c.getPackageName().startsWith("io.pushline." + module))) {
                missing.add(module);
            }
        }
        assertThat(missing).as("modules with no production class on the class path").isEmpty();
    }

    @Test
    void everyPackageOfOursBelongsToAModule() {
        // A new top-level package must get a row in ALLOWED, or the rules below would not speak of it.
        Set<String> unknown = new TreeSet<>();
        classes.stream().map(c -> c.getPackageName()).filter(p -> p.startsWith("io.pushline."))
                .map(p -> p.substring("io.pushline.".length()).split("\\.")[0])
                .filter(m -> !ALLOWED.containsKey(m) && !m.equals("loadtests"))
                .forEach(unknown::add);
        assertThat(unknown).as("packages of ours without a row in ALLOWED").isEmpty();
    }

    @Test
    void eachModuleUsesOnlyTheModulesItsRowAllows() {
        List<String> violations = new ArrayList<>();
        ALLOWED.forEach((module, allowed) -> {
            List<String> ok = new ArrayList<>();
            ok.add("io.pushline." + module + "..");
            allowed.forEach(a -> ok.add("io.pushline." + a + ".."));
            try {
                noClasses().that().resideInAPackage("io.pushline." + module + "..")
                        .should().dependOnClassesThat(resideInAPackage("io.pushline..").and(not(resideInAnyPackage(ok.toArray(String[]::new)))))
                        .as(module + " uses only " + (allowed.isEmpty() ? "nothing of ours" : new TreeSet<>(allowed)))
                        .allowEmptyShould(false)
                        .check(classes);
            } catch (AssertionError e) {
                violations.add(e.getMessage());
            }
        });
        assertThat(violations).as("forbidden directions").isEmpty();
    }

    @Test
    void modulesAreFreeOfCycles() {
        slices().matching("io.pushline.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void thePublisherUsesNoKafkaStreams() {
        // A library for publishing services: what it pulls in, they must carry.
        noClasses().that().resideInAPackage("io.pushline.publisher..")
                .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.streams..")
                .check(classes);
    }

    @Test
    void pushKnowsNothingOfKafka() {
        noClasses().that().resideInAPackage("io.pushline.push..")
                .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
                .check(classes);
    }

    @Test
    void theAppIsOnlyTheCommand() {
        // The command layer parses options, calls a module and formats its result: no server, no Kafka Streams topology.
        noClasses().that().resideInAPackage("io.pushline.app..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "com.sun.net.httpserver..", "org.apache.kafka.streams.processor..")
                .check(classes);
    }

    @Test
    void onlyTheCommandParsesCommandLines() {
        // The modules' services take values and return results; picocli, parsing and printing stay in the command.
        noClasses().that().resideOutsideOfPackages("io.pushline.app..", "io.pushline.loadtests..")
                .should().dependOnClassesThat().resideInAPackage("picocli..")
                .check(classes);
    }

    @Test
    void productionCodeNeverDependsOnTestFrameworks() {
        noClasses().that().resideOutsideOfPackage("io.pushline.testkit..")
                .should().dependOnClassesThat().resideInAnyPackage("org.junit..", "org.assertj..", "org.awaitility..", "org.testcontainers..")
                .check(classes);
    }
}

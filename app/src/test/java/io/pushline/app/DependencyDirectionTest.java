package io.pushline.app;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dependency direction of ARCHITECTURE.md, checked on the compiled classes of every module, so it cannot rot:
 * contracts depends on nothing of ours; push knows nothing of Kafka; the publisher library for services is contracts and
 * a Kafka client only; only the app wires everything; production code never depends on test support.
 */
class DependencyDirectionTest {
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
        for (String pkg : new String[]{"io.pushline.contracts", "io.pushline.publisher", "io.pushline.push", "io.pushline.mock",
                "io.pushline.topology", "io.pushline.workers", "io.pushline.localkafka", "io.pushline.app"}) {
            assertThat(classes.stream().anyMatch(c -> c.getPackageName().startsWith(pkg))).as(pkg).isTrue();
        }
    }

    @Test
    void contractsDependOnNothingOfOurs() {
        noClasses().that().resideInAPackage("io.pushline.contracts..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushline.publisher..", "io.pushline.push..", "io.pushline.mock..",
                        "io.pushline.topology..", "io.pushline.coordinators..", "io.pushline.workers..", "io.pushline.localkafka..",
                        "io.pushline.app..", "io.pushline.testkit..")
                .check(classes);
    }

    @Test
    void thePublisherIsContractsAndAKafkaClientOnly() {
        // A library for publishing services: what it pulls in, they must carry. An allow-list of our modules, so that a
        // module added later is refused too.
        noClasses().that().resideInAPackage("io.pushline.publisher..")
                .should().dependOnClassesThat(resideInAPackage("io.pushline..")
                        .and(not(resideInAnyPackage("io.pushline.publisher..", "io.pushline.contracts.."))))
                .orShould().dependOnClassesThat().resideInAPackage("org.apache.kafka.streams..")
                .check(classes);
    }

    @Test
    void pushKnowsNothingOfKafkaNorOfOtherModules() {
        noClasses().that().resideInAPackage("io.pushline.push..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.pushline.contracts..", "io.pushline.publisher..",
                        "io.pushline.mock..", "io.pushline.topology..", "io.pushline.coordinators..", "io.pushline.workers..",
                        "io.pushline.localkafka..", "io.pushline.app..", "io.pushline.testkit..")
                .check(classes);
    }

    @Test
    void topologyAndCoordinatorsDependOnlyOnContracts() {
        noClasses().that().resideInAnyPackage("io.pushline.topology..", "io.pushline.coordinators..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushline.publisher..", "io.pushline.push..", "io.pushline.mock..",
                        "io.pushline.workers..", "io.pushline.localkafka..", "io.pushline.app..", "io.pushline.testkit..")
                .allowEmptyShould(true)
                .check(classes);
        noClasses().that().resideInAPackage("io.pushline.topology..")
                .should().dependOnClassesThat().resideInAPackage("io.pushline.coordinators..")
                .check(classes);
    }

    @Test
    void workersDependOnlyOnContractsAndPush() {
        noClasses().that().resideInAPackage("io.pushline.workers..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushline.publisher..", "io.pushline.mock..", "io.pushline.topology..",
                        "io.pushline.coordinators..", "io.pushline.localkafka..", "io.pushline.app..", "io.pushline.testkit..")
                .check(classes);
    }

    @Test
    void onlyTheAppWiresTestServersAndTheLocalBroker() {
        noClasses().that().resideOutsideOfPackages("io.pushline.app..", "io.pushline.mock..", "io.pushline.localkafka..", "io.pushline.testkit..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushline.mock..", "io.pushline.localkafka..", "io.pushline.testkit..")
                .check(classes);
        noClasses().that().resideInAnyPackage("io.pushline.mock..", "io.pushline.localkafka..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushline.contracts..", "io.pushline.publisher..", "io.pushline.push..",
                        "io.pushline.topology..", "io.pushline.workers..", "io.pushline.app..", "io.pushline.testkit..")
                .check(classes);
    }

    @Test
    void productionCodeNeverDependsOnTestFrameworks() {
        noClasses().that().resideOutsideOfPackage("io.pushline.testkit..")
                .should().dependOnClassesThat().resideInAnyPackage("org.junit..", "org.assertj..", "org.awaitility..", "org.testcontainers..")
                .check(classes);
    }
}

package io.pushline.admin;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What package-info says the admin module may depend on, checked on its compiled classes: of Pushline's modules only
 * contracts, credentials, coordinators, topology and fanout-workers (an allow-list, so that a module added later is
 * refused too); and no command-line parser, since the services print nothing and parse no command line.
 */
class AdminDependencyTest {
    @Test
    void adminDependsOnlyOnTheModulesItMay() {
        JavaClasses admin = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.pushline.admin");
        assertThat(admin.contain(AdminServer.class)).isTrue();
        noClasses().that().resideInAPackage("io.pushline.admin..")
                .should().dependOnClassesThat(resideInAPackage("io.pushline..").and(not(resideInAnyPackage("io.pushline.admin..",
                        "io.pushline.contracts..", "io.pushline.credentials..", "io.pushline.coordinators..", "io.pushline.topology..",
                        "io.pushline.workers.."))))
                .orShould().dependOnClassesThat().resideInAPackage("picocli..")
                .check(admin);
    }
}

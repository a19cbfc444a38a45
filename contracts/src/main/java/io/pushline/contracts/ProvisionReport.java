package io.pushline.contracts;

import java.util.List;

/**
 * What {@link TopicProvisioner#ensure} did. Immutable.
 *
 * @param created topics it created
 * @param existing topics that already existed and match the catalogue
 */
public record ProvisionReport(List<String> created, List<String> existing) {
  /** Copies both lists. */
  public ProvisionReport {
    created = List.copyOf(Require.nonNull(created, "ProvisionReport.created"));
    existing = List.copyOf(Require.nonNull(existing, "ProvisionReport.existing"));
  }
}

/**
 * Supervised, event-sourced state-machine coordinators for bounded events (the like and follow flows).
 *
 * <p>Not built yet: this module holds the place the architecture gives it (it may depend on contracts only, which
 * {@code DependencyDirectionTest} checks). The coordinators issue fills it.
 */
package io.pushline.coordinators;

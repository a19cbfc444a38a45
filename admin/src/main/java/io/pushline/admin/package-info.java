/**
 * Pushline's operator side: the admin API ({@link io.pushline.admin.AdminServer}) and the services behind it and behind
 * {@code pushline dlq} and {@code pushline coordinators}: dead letters listed and replayed
 * ({@link io.pushline.admin.DeadLetterService}), parked coordinators listed, retried and discarded
 * ({@link io.pushline.admin.ParkedCoordinators}), the Kafka ACLs of each role ({@link io.pushline.admin.AccessControl}),
 * and the admins' credentials ({@link io.pushline.admin.AdminCredentials}). The services return results (records and
 * sealed outcomes, each with the one JSON shape the command line and the API share); they print nothing and know no
 * command line. Values both the command line and the API take are parsed in {@link io.pushline.admin.AdminArguments}.
 *
 * <p>Depends, of Pushline's modules, only on contracts, credentials, coordinators, topology and fanout-workers; never on
 * app, pipeline, local-stack or ingest (the app starts the API and formats the results; nothing here calls back into it).
 */
package io.pushline.admin;

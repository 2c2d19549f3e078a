import type { Migration, MigrationProvider } from "kysely";
import type { SqlDialect } from "../dialect.js";
import { initialMigration } from "./0001-initial.js";
import { memberGroupsIndexMigration } from "./0003-member-groups-index.js";
import { managedAndApiKeysMigration } from "./0002-managed-and-api-keys.js";
import { tenantProfilesMigration } from "./0004-tenant-profiles.js";
import { requestLogNotesMigration } from "./0005-request-log-notes.js";
import { eventsAndWebhooksMigration } from "./0006-events-and-webhooks.js";
import { deliveryListingMigration } from "./0007-delivery-listing.js";
import { resourcesKindIdIndexMigration } from "./0008-resources-kind-id-index.js";
import { requestLogFileMigration } from "./0009-request-log-file.js";
import { directoryVersionsMigration } from "./0010-directory-versions.js";
import { tenantEventSequencesMigration } from "./0011-tenant-event-sequences.js";
import { requestLogAllowanceMigration } from "./0012-request-log-allowance.js";
import { deliveryReplaysMigration } from "./0013-delivery-replays.js";
import { controlPlaneMigration } from "./0014-control-plane.js";
import { requestLogEventsMigration } from "./0015-request-log-events.js";

/** A static list (no directory scanning), so migrations run the same from src/ and dist/. Names sort in order. */
export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        "0001-initial": initialMigration(dialect),
        "0002-managed-and-api-keys": managedAndApiKeysMigration(dialect),
        "0003-member-groups-index": memberGroupsIndexMigration(),
        "0004-tenant-profiles": tenantProfilesMigration(dialect),
        "0005-request-log-notes": requestLogNotesMigration(dialect),
        "0006-events-and-webhooks": eventsAndWebhooksMigration(dialect),
        "0007-delivery-listing": deliveryListingMigration(dialect),
        "0008-resources-kind-id-index": resourcesKindIdIndexMigration(),
        "0009-request-log-file": requestLogFileMigration(dialect),
        "0010-directory-versions": directoryVersionsMigration(dialect),
        "0011-tenant-event-sequences": tenantEventSequencesMigration(dialect),
        "0012-request-log-allowance": requestLogAllowanceMigration(dialect),
        "0013-delivery-replays": deliveryReplaysMigration(dialect),
        "0014-control-plane": controlPlaneMigration(dialect),
        "0015-request-log-events": requestLogEventsMigration(dialect),
      };
    },
  };
}

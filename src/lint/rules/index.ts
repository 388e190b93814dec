// The rule registry: every other file in this folder is one rule (a test checks none is missing).

import type { Rule } from '../types.js';
import { rule as addingFieldWithDefault } from './adding-field-with-default.js';
import { rule as addingForeignKeyConstraint } from './adding-foreign-key-constraint.js';
import { rule as addingNotNullableField } from './adding-not-nullable-field.js';
import { rule as addingPrimaryKeyConstraint } from './adding-primary-key-constraint.js';
import { rule as addingRequiredField } from './adding-required-field.js';
import { rule as addingSerialColumn } from './adding-serial-column.js';
import { rule as addingStoredGeneratedColumn } from './adding-stored-generated-column.js';
import { rule as attachPartitionScan } from './attach-partition-scan.js';
import { rule as backfillUnderLock } from './backfill-under-lock.js';
import { rule as banAlterDomainWithAddConstraint } from './ban-alter-domain-with-add-constraint.js';
import { rule as banCharField } from './ban-char-field.js';
import { rule as banCreateDomainWithConstraint } from './ban-create-domain-with-constraint.js';
import { rule as banDeleteWithoutWhere } from './ban-delete-without-where.js';
import { rule as banDropColumn } from './ban-drop-column.js';
import { rule as banDropDatabase } from './ban-drop-database.js';
import { rule as banDropNotNull } from './ban-drop-not-null.js';
import { rule as banDropSchema } from './ban-drop-schema.js';
import { rule as banDropTable } from './ban-drop-table.js';
import { rule as banDropType } from './ban-drop-type.js';
import { rule as banExclusionConstraint } from './ban-exclusion-constraint.js';
import { rule as banLockTable } from './ban-lock-table.js';
import { rule as banTruncate } from './ban-truncate.js';
import { rule as banUpdateWithoutWhere } from './ban-update-without-where.js';
import { rule as changingColumnType } from './changing-column-type.js';
import { rule as cicPg14Corruption } from './cic-pg14-corruption.js';
import { rule as combineAlterTable } from './combine-alter-table.js';
import { rule as constraintMissingNotValid } from './constraint-missing-not-valid.js';
import { rule as disallowedUniqueConstraint } from './disallowed-unique-constraint.js';
import { rule as droppingForeignKey } from './dropping-foreign-key.js';
import { rule as dynamicSqlNotAnalysed } from './dynamic-sql-not-analysed.js';
import { rule as foreignKeyWithoutIndex } from './foreign-key-without-index.js';
import { rule as identifierTooLong } from './identifier-too-long.js';
import { rule as ignoreWithoutReason } from './ignore-without-reason.js';
import { rule as indexTooManyColumns } from './index-too-many-columns.js';
import { rule as preferBigint } from './prefer-bigint.js';
import { rule as preferIdentity } from './prefer-identity.js';
import { rule as preferJsonb } from './prefer-jsonb.js';
import { rule as preferRepack } from './prefer-repack.js';
import { rule as preferRobustStmts } from './prefer-robust-stmts.js';
import { rule as preferTextField } from './prefer-text-field.js';
import { rule as preferTimestamptz } from './prefer-timestamptz.js';
import { rule as renamingColumn } from './renaming-column.js';
import { rule as renamingEnumValue } from './renaming-enum-value.js';
import { rule as renamingSchema } from './renaming-schema.js';
import { rule as renamingTable } from './renaming-table.js';
import { rule as requireConcurrentIndexCreation } from './require-concurrent-index-creation.js';
import { rule as requireConcurrentIndexDeletion } from './require-concurrent-index-deletion.js';
import { rule as requireConcurrentPartitionDetach } from './require-concurrent-partition-detach.js';
import { rule as requireConcurrentRefresh } from './require-concurrent-refresh.js';
import { rule as requireConcurrentReindex } from './require-concurrent-reindex.js';
import { rule as requireEnumValueOrdering } from './require-enum-value-ordering.js';
import { rule as requireLockTimeout } from './require-lock-timeout.js';
import { rule as requireStatementTimeout } from './require-statement-timeout.js';
import { rule as requiresNoTransaction } from './requires-no-transaction.js';
import { rule as rewritingTableOption } from './rewriting-table-option.js';
import { rule as syntaxError } from './syntax-error.js';
import { rule as transactionControlInMigration } from './transaction-control-in-migration.js';
import { rule as unbalancedTransaction } from './unbalanced-transaction.js';
import { rule as uniqueOnExistingData } from './unique-on-existing-data.js';
import { rule as unknownIgnoreRule } from './unknown-ignore-rule.js';
import { rule as unusedIgnore } from './unused-ignore.js';
import { rule as validateConstraintInSameTransaction } from './validate-constraint-in-same-transaction.js';

export const RULES: readonly Rule[] = [
  addingFieldWithDefault,
  addingForeignKeyConstraint,
  addingNotNullableField,
  addingPrimaryKeyConstraint,
  addingRequiredField,
  addingSerialColumn,
  addingStoredGeneratedColumn,
  attachPartitionScan,
  backfillUnderLock,
  banAlterDomainWithAddConstraint,
  banCharField,
  banCreateDomainWithConstraint,
  banDeleteWithoutWhere,
  banDropColumn,
  banDropDatabase,
  banDropNotNull,
  banDropSchema,
  banDropTable,
  banDropType,
  banExclusionConstraint,
  banLockTable,
  banTruncate,
  banUpdateWithoutWhere,
  changingColumnType,
  cicPg14Corruption,
  combineAlterTable,
  constraintMissingNotValid,
  disallowedUniqueConstraint,
  droppingForeignKey,
  dynamicSqlNotAnalysed,
  foreignKeyWithoutIndex,
  identifierTooLong,
  ignoreWithoutReason,
  indexTooManyColumns,
  preferBigint,
  preferIdentity,
  preferJsonb,
  preferRepack,
  preferRobustStmts,
  preferTextField,
  preferTimestamptz,
  renamingColumn,
  renamingEnumValue,
  renamingSchema,
  renamingTable,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentPartitionDetach,
  requireConcurrentRefresh,
  requireConcurrentReindex,
  requireEnumValueOrdering,
  requireLockTimeout,
  requireStatementTimeout,
  requiresNoTransaction,
  rewritingTableOption,
  syntaxError,
  transactionControlInMigration,
  unbalancedTransaction,
  uniqueOnExistingData,
  unknownIgnoreRule,
  unusedIgnore,
  validateConstraintInSameTransaction,
];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

// Environment copies with masking and validation: the library behind `pgward clone`.

export {
  type CloneEvent,
  type CloneOptions,
  type CloneResult,
  type CloneStep,
  type CloneTableResult,
  clone,
} from './clone.js';
export {
  addCliMasks,
  type ColumnMask,
  type MaskingPlan,
  maskingFor,
  maskingSchema,
  type RawMasking,
} from './config.js';
export { type CopyTable, listCopyTables } from './copy-plan.js';
export type { TableFilter } from './filter.js';
export { MASK_RULES, type MaskRule, parseMaskRule } from './mask.js';
export { type Endpoint, wipeDatabase } from './refuse.js';
export type { TableCheck, VerifyMode } from './validate.js';

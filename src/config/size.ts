// The size syntax of pgward.yaml (`part_size: 16MiB`), shared by the schema that validates it and the
// backup settings that read it. In its own file so reading a size does not load zod (~70 ms of module
// compilation on every backup, measured with --cpu-prof).

/** A whole number with an optional unit: 16, 16MiB, 16MB, 16M, 1GiB, 1GB, 1G (1024-based). */
export const SIZE = /^(\d+)\s*(MiB|MB|M|GiB|GB|G)?$/i;

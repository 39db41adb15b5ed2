/**
 * The SEG-Y rev 1 standard trace header (240 bytes) and binary file header (400 bytes), field by
 * field: 1-based byte position as the standard numbers them (segyio uses the same numbers), name
 * and size. Rev 2 fields of the binary header are read separately (segy-reader.ts).
 */
export interface HeaderField {
  byte: number;
  name: string;
  bytes: 2 | 4;
}

const field = (byte: number, name: string, bytes: 2 | 4): HeaderField => ({ byte, name, bytes });

export const TRACE_HEADER_FIELDS: readonly HeaderField[] = [
  field(1, 'trace_sequence_line', 4),
  field(5, 'trace_sequence_file', 4),
  field(9, 'field_record', 4),
  field(13, 'trace_number', 4),
  field(17, 'energy_source_point', 4),
  field(21, 'cdp', 4),
  field(25, 'cdp_trace', 4),
  field(29, 'trace_identification_code', 2),
  field(31, 'n_summed_traces', 2),
  field(33, 'n_stacked_traces', 2),
  field(35, 'data_use', 2),
  field(37, 'offset', 4),
  field(41, 'receiver_group_elevation', 4),
  field(45, 'source_surface_elevation', 4),
  field(49, 'source_depth', 4),
  field(53, 'receiver_datum_elevation', 4),
  field(57, 'source_datum_elevation', 4),
  field(61, 'source_water_depth', 4),
  field(65, 'group_water_depth', 4),
  field(69, 'elevation_scalar', 2),
  field(71, 'coordinate_scalar', 2),
  field(73, 'source_x', 4),
  field(77, 'source_y', 4),
  field(81, 'group_x', 4),
  field(85, 'group_y', 4),
  field(89, 'coordinate_units', 2),
  field(91, 'weathering_velocity', 2),
  field(93, 'subweathering_velocity', 2),
  field(95, 'source_uphole_time', 2),
  field(97, 'group_uphole_time', 2),
  field(99, 'source_static_correction', 2),
  field(101, 'group_static_correction', 2),
  field(103, 'total_static_applied', 2),
  field(105, 'lag_time_a', 2),
  field(107, 'lag_time_b', 2),
  field(109, 'delay_recording_time', 2),
  field(111, 'mute_time_start', 2),
  field(113, 'mute_time_end', 2),
  field(115, 'sample_count', 2),
  field(117, 'sample_interval', 2),
  field(119, 'gain_type', 2),
  field(121, 'instrument_gain_constant', 2),
  field(123, 'instrument_initial_gain', 2),
  field(125, 'correlated', 2),
  field(127, 'sweep_frequency_start', 2),
  field(129, 'sweep_frequency_end', 2),
  field(131, 'sweep_length', 2),
  field(133, 'sweep_type', 2),
  field(135, 'sweep_taper_length_start', 2),
  field(137, 'sweep_taper_length_end', 2),
  field(139, 'taper_type', 2),
  field(141, 'alias_filter_frequency', 2),
  field(143, 'alias_filter_slope', 2),
  field(145, 'notch_filter_frequency', 2),
  field(147, 'notch_filter_slope', 2),
  field(149, 'low_cut_frequency', 2),
  field(151, 'high_cut_frequency', 2),
  field(153, 'low_cut_slope', 2),
  field(155, 'high_cut_slope', 2),
  field(157, 'year', 2),
  field(159, 'day_of_year', 2),
  field(161, 'hour', 2),
  field(163, 'minute', 2),
  field(165, 'second', 2),
  field(167, 'time_basis_code', 2),
  field(169, 'trace_weighting_factor', 2),
  field(171, 'geophone_group_roll1', 2),
  field(173, 'geophone_group_first', 2),
  field(175, 'geophone_group_last', 2),
  field(177, 'gap_size', 2),
  field(179, 'over_travel', 2),
  field(181, 'cdp_x', 4),
  field(185, 'cdp_y', 4),
  field(189, 'inline', 4),
  field(193, 'crossline', 4),
  field(197, 'shot_point', 4),
  field(201, 'shot_point_scalar', 2),
  field(203, 'trace_value_unit', 2),
  field(205, 'transduction_mantissa', 4),
  field(209, 'transduction_power', 2),
  field(211, 'transduction_unit', 2),
  field(213, 'device_identifier', 2),
  field(215, 'time_scalar', 2),
  field(217, 'source_type', 2),
  field(219, 'source_energy_direction_mantissa', 4),
  field(223, 'source_energy_direction_exponent', 2),
  field(225, 'source_measurement_mantissa', 4),
  field(229, 'source_measurement_exponent', 2),
  field(231, 'source_measurement_unit', 2),
  field(233, 'unassigned_1', 4),
  field(237, 'unassigned_2', 4),
];

export const BINARY_HEADER_FIELDS: readonly HeaderField[] = [
  field(3201, 'job_id', 4),
  field(3205, 'line_number', 4),
  field(3209, 'reel_number', 4),
  field(3213, 'traces_per_ensemble', 2),
  field(3215, 'aux_traces_per_ensemble', 2),
  field(3217, 'sample_interval', 2),
  field(3219, 'sample_interval_original', 2),
  field(3221, 'samples_per_trace', 2),
  field(3223, 'samples_per_trace_original', 2),
  field(3225, 'format_code', 2),
  field(3227, 'ensemble_fold', 2),
  field(3229, 'sorting_code', 2),
  field(3231, 'vertical_sum', 2),
  field(3233, 'sweep_frequency_start', 2),
  field(3235, 'sweep_frequency_end', 2),
  field(3237, 'sweep_length', 2),
  field(3239, 'sweep_type', 2),
  field(3241, 'sweep_channel', 2),
  field(3243, 'sweep_taper_start', 2),
  field(3245, 'sweep_taper_end', 2),
  field(3247, 'taper_type', 2),
  field(3249, 'correlated_traces', 2),
  field(3251, 'binary_gain_recovery', 2),
  field(3253, 'amplitude_recovery', 2),
  field(3255, 'measurement_system', 2),
  field(3257, 'impulse_polarity', 2),
  field(3259, 'vibratory_polarity', 2),
  field(3501, 'segy_revision', 2),
  field(3503, 'fixed_length_traces', 2),
  field(3505, 'extended_textual_headers', 2),
];

/** Sample encodings by data sample format code. */
export const SAMPLE_FORMATS: Readonly<Record<number, { name: string; bytes: number }>> = {
  1: { name: '4-byte IBM floating point', bytes: 4 },
  2: { name: "4-byte two's complement integer", bytes: 4 },
  3: { name: "2-byte two's complement integer", bytes: 2 },
  5: { name: '4-byte IEEE floating point', bytes: 4 },
  6: { name: '8-byte IEEE floating point', bytes: 8 },
  7: { name: "3-byte two's complement integer", bytes: 3 },
  8: { name: "1-byte two's complement integer", bytes: 1 },
  9: { name: "8-byte two's complement integer", bytes: 8 },
  10: { name: '4-byte unsigned integer', bytes: 4 },
  11: { name: '2-byte unsigned integer', bytes: 2 },
  12: { name: '8-byte unsigned integer', bytes: 8 },
  15: { name: '3-byte unsigned integer', bytes: 3 },
  16: { name: '1-byte unsigned integer', bytes: 1 },
};

/** Reads fields as signed integers (two's complement), as segyio does. */
export function readFields(
  view: DataView,
  fields: readonly HeaderField[],
  base: number,
  little: boolean,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fields) {
    const at = base + f.byte - 1;
    out[f.name] = f.bytes === 4 ? view.getInt32(at, little) : view.getInt16(at, little);
  }
  return out;
}

/**
 * A coordinate or elevation with its SEG-Y scalar applied: a positive scalar multiplies, a
 * negative one divides by its magnitude, 0 leaves the value as it is.
 */
export function applyScalar(value: number, scalar: number): number {
  if (scalar > 0) return value * scalar;
  if (scalar < 0) return value / -scalar;
  return value;
}

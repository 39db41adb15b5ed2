-- Parse options a user gave for a delimited file (delimiter, header, skipRows, quote, escape,
-- encoding, nullValues, decimal), at upload or with a re-ingest. NULL: everything is detected.
-- The options actually used, detected or given, are recorded with the results in
-- modality_metadata.csv.
ALTER TABLE dataset_versions ADD COLUMN csv_options jsonb;

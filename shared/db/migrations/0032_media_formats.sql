-- Audio and video files beyond WAV, MP3, FLAC and MP4: Ogg audio, QuickTime and WebM video.
ALTER TABLE dataset_versions DROP CONSTRAINT dataset_versions_original_format_check;
ALTER TABLE dataset_versions ADD CONSTRAINT dataset_versions_original_format_check CHECK (
  original_format IN ('csv', 'tsv', 'json', 'jsonl', 'parquet', 'excel', 'text', 'segy', 'miniseed',
    'wav', 'mp3', 'flac', 'ogg', 'png', 'jpeg', 'tiff', 'mp4', 'mov', 'webm', 'zip', 'unknown')
);

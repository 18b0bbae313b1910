-- 021: the diploma hand-out starts on a half day in the handbook ("2018年6月29日下午至7月2日"):
-- keep which part of the first day (上午 / 下午; NULL = the whole day), so the pages say it and
-- the diploma desk's date check uses it.
ALTER TABLE batches ADD COLUMN diploma_start_part VARCHAR;

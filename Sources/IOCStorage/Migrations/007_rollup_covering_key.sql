-- History reads one sensor's hourly buckets over weeks. The rollup fold writes each hour's rows
-- for every sensor together, so one sensor's buckets sit one per heap page: 720 pages for 30 days.
-- With the values in the key's index, history is an index-only scan of a few leaf pages.
ALTER TABLE readings_1h DROP CONSTRAINT readings_1h_pkey;
ALTER TABLE readings_1h ADD PRIMARY KEY (sensor_id, bucket) INCLUDE (min, max, sum, count);

-- Derived sensors hold values IOC computes from other readings (VN_AQI, rain windows, flood alarm
-- level, rate of rise, reservoir useful capacity, congestion). They are ordinary sensors for
-- every reader; only the derived service writes them, and ingest refuses them from gateways.
ALTER TABLE sensors ADD COLUMN derived boolean NOT NULL DEFAULT false;

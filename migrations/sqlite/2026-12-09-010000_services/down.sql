DROP TABLE service_case_reads;
DROP TABLE service_attachments;
DROP TABLE service_case_events;
DROP TABLE service_cases;
DROP TABLE service_kinds;

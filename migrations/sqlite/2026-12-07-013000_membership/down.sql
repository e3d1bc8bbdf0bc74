DELETE FROM import_jobs WHERE kind = 'moves';
DROP TABLE decision_limits;
DROP TABLE calendar_days;
DROP INDEX roster_member_no;
DROP TABLE member_numbers;
DROP TABLE memberships;
DROP TABLE application_comments;
DROP TABLE applications;

DROP INDEX roster_union_order;
DROP INDEX members_unsearchable;
DROP INDEX roster_unsearchable;
DROP INDEX members_phone_tail;
DROP INDEX roster_name_head2;
DROP INDEX roster_name_head;
ALTER TABLE members DROP COLUMN phone_tail_index;
ALTER TABLE roster DROP COLUMN name_head2_index;
ALTER TABLE roster DROP COLUMN name_head_index;

-- The audit log's filters (actor, action or a kind of action, target), each read newest first by
-- its index instead of walking the whole log backwards.
CREATE INDEX audit_log_actor ON audit_log (actor_name, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target, id);

"""People and permissions the shared database enforces (PostgreSQL only).

- The group roles ``agent``, ``lead``, ``commander``, ``admin`` and ``service``
  (NOLOGIN, cluster-wide: created only when missing). A person is a login in one of them.
- The ``people`` table: who each login is, their role and matrix roles, disabled or not.
- Grants: every role reads every table; writes only what its statements need (events:
  INSERT of the columns a push sends, never ``seq``; notification claims: consoles and
  the service claim and deliver; the service lease: the service). Every table belongs
  to ``admin``, so an admin person can run later migrations; nobody else can run DDL.
- ``events_check_insert``: BEFORE INSERT ON events, the server's check of who may
  write which event (docs/security.md). The 0001 append-only trigger stays.

The downgrade drops what this created, except the group roles: roles belong to the
whole cluster, and other databases on it (other teams, every test's database) may use
them. A superuser drops them by hand once no database needs them.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROLES = ("agent", "lead", "commander", "admin", "service")
# The columns a push inserts: ``seq`` is left to the identity (a client choosing a low
# seq would hide its event from every puller whose cursor is past it).
PUSH_COLUMNS = ("id", "ticket", "kind", "payload", "author", "device", "hlc", "at")
# What a service login writes: the engine's actions, the webhooks' acknowledgements and
# resolutions, and the intake API's kinds (console.app.usecases.simulate.INPUT_TYPES).
ENGINE_KINDS = ("routed", "escalated", "handoff_required", "prioritized")
SERVICE_KINDS = (*ENGINE_KINDS, "severity", "acknowledged", "resolved", "opened",
                 "responded", "update_sent", "status", "message", "reopened")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _value(query: str) -> str:
    return str(op.get_bind().exec_driver_sql(query).scalar())


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


_CREATE_ROLES = """
DO $$
DECLARE
    r text;
    existing record;
    me record;
BEGIN
    SELECT rolsuper, rolcreaterole INTO me FROM pg_roles WHERE rolname = current_user;
    IF NOT (me.rolsuper OR me.rolcreaterole) THEN
        RAISE EXCEPTION 'this upgrade (people and permissions) creates the group roles '
            'and hands the tables to admin: run it as a superuser or a login with '
            'CREATEROLE (%% may not create roles)', current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOREACH r IN ARRAY ARRAY[%(roles)s] LOOP
        SELECT rolcanlogin, rolsuper INTO existing FROM pg_roles WHERE rolname = r;
        IF FOUND THEN
            IF existing.rolcanlogin OR existing.rolsuper THEN
                RAISE EXCEPTION 'the PostgreSQL role "%%" exists and is a login or a '
                    'superuser; escalation-console needs "%%" as a group role (NOLOGIN): '
                    'rename that login first', r, r
                    USING ERRCODE = 'object_not_in_prerequisite_state';
            END IF;
        ELSE
            BEGIN  -- another database on the cluster may be creating it right now
                EXECUTE format('CREATE ROLE %%I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
    -- a DBA that is no superuser hands the tables to admin as a member of it
    IF NOT me.rolsuper AND NOT pg_has_role(current_user, 'admin', 'MEMBER') THEN
        EXECUTE format('GRANT admin TO %%I', current_user);
    END IF;
END $$;
"""

# The server's check (docs/security.md). Names are looked up with pg_catalog first and
# pg_temp last, so a session cannot shadow ``people`` or ``events`` with a temporary
# table, nor a built-in function with its own.
_CHECK = """
CREATE FUNCTION events_check_insert() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, %(schema)s, pg_temp AS $$
DECLARE
    me text := session_user;
    p record;
    body jsonb;
    req record;
    rp jsonb;
    authority jsonb;
    approvers text[];
    what text;
    verb text;
    granter text;
BEGIN
    -- 1. an id already in the log: the INSERT's ON CONFLICT skips it, never refused
    PERFORM 1 FROM events WHERE id = NEW.id;
    IF FOUND THEN
        RETURN NEW;
    END IF;
    -- 2. the session's person
    SELECT role, matrix_roles, disabled_at INTO p FROM people WHERE login = me;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = me AND rolsuper) THEN
            RETURN NEW;  -- the DBA: unchecked
        END IF;
        RAISE EXCEPTION 'login %% is not a person of this database; an admin adds people '
            'with ''escalation-console people add %% --role ROLE''', me, me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p.disabled_at IS NOT NULL THEN
        RAISE EXCEPTION '%% is disabled and may write nothing; an admin enables them '
            'again with ''escalation-console people enable %%''', me, me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- 3 and 4. the service writes as itself and the principals it authenticates,
    -- and only the service's kinds
    IF p.role = 'service' THEN
        IF NOT (NEW.author = me OR NEW.author = 'pagerduty'
                OR starts_with(NEW.author, 'api:') OR starts_with(NEW.author, 'slack:')) THEN
            RAISE EXCEPTION 'event authored by %% cannot be written by the service login %%',
                NEW.author, me USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.kind NOT IN (%(service_kinds)s) THEN
            RAISE EXCEPTION 'a service login may not write %% events; %% is a service login',
                NEW.kind, me USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.kind IN (%(engine_kinds)s)
                AND (NEW.payload::jsonb ->> 'by') IS DISTINCT FROM 'engine' THEN
            RAISE EXCEPTION 'a service login writes %% events only as the engine''s actions '
                '(by: engine); %% is a service login', NEW.kind, me
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    -- 3. a person writes only as themselves (offline events keep their author)
    IF NEW.author IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'event authored by %% cannot be written by %%', NEW.author, me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- 5. publishing (and restoring) a matrix
    IF NEW.kind = 'matrix_published' AND p.role NOT IN ('lead', 'admin') THEN
        RAISE EXCEPTION 'only a lead or an admin may publish a matrix; %% is %%', me,
            CASE WHEN p.role IN ('agent', 'admin') THEN 'an ' ELSE 'a ' END || p.role
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- 6. answering an approval request
    IF NEW.kind IN ('approval_granted', 'approval_denied') THEN
        body := NEW.payload::jsonb;
        verb := CASE NEW.kind WHEN 'approval_granted' THEN 'approve' ELSE 'deny' END;
        SELECT author, payload INTO req FROM events
            WHERE id = body ->> 'request_id' AND kind = 'approval_requested';
        IF NOT FOUND THEN
            RAISE EXCEPTION '%% cannot %% request %%: no such approval request in the '
                'shared log', me, verb, coalesce(body ->> 'request_id', '(none)')
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        rp := req.payload::jsonb;
        what := replace(coalesce(rp ->> 'action', '?'), '_', ' ')
            || CASE WHEN jsonb_typeof(rp -> 'amount') = 'number'
                    THEN ' of ' || trim_scale((rp ->> 'amount')::numeric)::text
                         || coalesce(' ' || nullif(rp ->> 'unit', ''), '')
                    ELSE '' END
            || coalesce(' at ' || (rp ->> 'severity'), '');
        IF req.author = me AND NOT (NEW.kind = 'approval_granted' AND coalesce(
                body -> 'within_limit' = 'true'::jsonb, false)) THEN
            RAISE EXCEPTION 'nobody answers their own request: %% requested %%', me, what
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- the approvers under the matrix in force (the newest published)
        SELECT payload::jsonb -> 'authority' INTO authority FROM events
            WHERE kind = 'matrix_published' ORDER BY seq DESC LIMIT 1;
        IF jsonb_typeof(authority) = 'array' THEN
            approvers := ARRAY(
                SELECT a ->> 'role' FROM jsonb_array_elements(authority) a
                WHERE a ->> 'action' = rp ->> 'action'
                  AND (jsonb_typeof(a -> 'limit') IS DISTINCT FROM 'number'
                       OR jsonb_typeof(rp -> 'amount') IS DISTINCT FROM 'number'
                       OR (a ->> 'limit')::numeric >= (rp ->> 'amount')::numeric)
                  AND (jsonb_typeof(a -> 'severities') IS DISTINCT FROM 'array'
                       OR rp ->> 'severity' IS NULL OR a -> 'severities' ? (rp ->> 'severity'))
                GROUP BY a ->> 'role'
                ORDER BY min(CASE WHEN jsonb_typeof(a -> 'limit') = 'number'
                                  THEN (a ->> 'limit')::numeric END) NULLS LAST, 1);
        ELSE  -- a matrix published before people existed: the request's own routing
            approvers := ARRAY(SELECT jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(rp -> 'approvers') = 'array'
                     THEN rp -> 'approvers' ELSE '[]'::jsonb END));
        END IF;
        granter := body ->> 'role';
        IF NOT (p.matrix_roles && approvers) THEN
            RAISE EXCEPTION '%% holds no matrix role that may %% %% (%%)', me, verb, what,
                CASE WHEN cardinality(approvers) = 0 THEN 'no role may under the matrix in force'
                     ELSE array_to_string(approvers, ' or ') || ' may' END
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF granter IS NULL OR NOT granter = ANY (p.matrix_roles) THEN
            RAISE EXCEPTION '%% answered as %%, a matrix role they do not hold (%% holds %%)',
                me, coalesce(granter, '(no role)'), me, array_to_string(p.matrix_roles, ', ')
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT granter = ANY (approvers) THEN
            RAISE EXCEPTION '%% may not %% %% (%% may)', granter, verb, what,
                array_to_string(approvers, ' or ')
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    -- 7. everything else a person may write
    RETURN NEW;
END $$;
"""


def upgrade() -> None:
    if not _postgres():
        return
    roles = ", ".join(ROLES)
    op.execute(_CREATE_ROLES % {"roles": _list(ROLES)})
    op.execute(f"""
        CREATE TABLE people (
            login text PRIMARY KEY,
            display_name text NOT NULL DEFAULT '',
            role text NOT NULL CHECK (role IN ({_list(ROLES)})),
            matrix_roles text[] NOT NULL DEFAULT '{{}}',
            created_at timestamptz NOT NULL DEFAULT now(),
            disabled_at timestamptz NULL
        )""")
    # the approval check reads the newest matrix per answer: one index step
    op.execute("CREATE INDEX events_matrix_published ON events (seq) "
               "WHERE kind = 'matrix_published'")
    schema = _value("SELECT quote_ident(current_schema())")
    op.execute(_CHECK % {"schema": schema, "service_kinds": _list(SERVICE_KINDS),
                         "engine_kinds": _list(ENGINE_KINDS)})
    op.execute("CREATE TRIGGER events_check_insert BEFORE INSERT ON events "
               "FOR EACH ROW EXECUTE FUNCTION events_check_insert()")
    # Reading is open to every role (docs/security.md); writing is what each needs.
    op.execute(f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {roles}")
    op.execute(f"GRANT CREATE ON SCHEMA {schema} TO admin")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {roles}")
    op.execute(f"GRANT INSERT ({', '.join(PUSH_COLUMNS)}) ON events TO {roles}")
    # consoles page when no service is live, so every role claims and delivers
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON notification_claims TO {roles}")
    op.execute("GRANT INSERT, UPDATE ON service_lease TO service")
    # api_tokens and people: written by admins only, who own them (below)
    op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE admin IN SCHEMA {schema} "
               f"GRANT SELECT ON TABLES TO {roles}")
    _own(schema, "admin", ("events_append_only", "events_notify", "events_check_insert"))


def _own(schema: str, owner: str, functions: tuple[str, ...]) -> None:
    """Every table of the schema (their sequences follow) and the log's functions."""
    tables = op.get_bind().exec_driver_sql(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "
        "ORDER BY tablename").scalars().all()
    for table in tables:
        op.execute(f"ALTER TABLE {schema}.{table} OWNER TO {owner}")
    for function in functions:
        op.execute(f"ALTER FUNCTION {schema}.{function}() OWNER TO {owner}")


def downgrade() -> None:
    if not _postgres():
        return
    roles = ", ".join(ROLES)
    schema = _value("SELECT quote_ident(current_schema())")
    me = _value("SELECT quote_ident(current_user)")
    op.execute("DROP TRIGGER events_check_insert ON events")
    op.execute("DROP FUNCTION events_check_insert()")
    op.execute("DROP INDEX events_matrix_published")
    op.execute("DROP TABLE people")
    # the tables back to whoever downgrades first, while admin still may create in the schema
    _own(schema, me, ("events_append_only", "events_notify"))
    op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE admin IN SCHEMA {schema} "
               f"REVOKE SELECT ON TABLES FROM {roles}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {roles}")
    op.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {roles}")

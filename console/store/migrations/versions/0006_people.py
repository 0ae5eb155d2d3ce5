"""People and permissions the shared database enforces (PostgreSQL only).

- The group roles ``agent``, ``lead``, ``commander``, ``admin`` and ``service``
  (NOLOGIN, cluster-wide: created only when missing). A person is a login in one of them.
- The ``people`` table: who each login is, their role and matrix roles, disabled or not.
- Grants: every role reads every table; writes only what its statements need (events:
  INSERT of the columns a push sends, never ``seq``; notification claims: consoles and
  the service claim and deliver; the service lease: the service; people and api tokens:
  admins).
- The owner: every table and function belongs to ``escalation_owner`` (NOLOGIN), not to
  ``admin``. ``admin`` is NOINHERIT and a member of it, so an admin person (INHERIT)
  has admin's grants but not the owner's privileges: nothing they run in the ordinary
  way can alter the log's table or its triggers. They may ``SET ROLE escalation_owner``
  on purpose, which is what a migration does (console/store/migrations/env.py); nobody
  else can run DDL.
- ``events_check_insert``: BEFORE INSERT ON events, the server's check of who may
  write which event (docs/security.md), and, for everybody (superusers too), that a
  row is one every console can read back: a well-formed ``hlc``, an ISO ``at`` with
  its UTC offset, a payload that is a JSON object. The 0001 append-only trigger stays.

The downgrade drops what this created, except the group roles and the owner role:
roles belong to the whole cluster, and other databases on it (other teams, every test's
database) may use them. A superuser drops them by hand once no database needs them. The
tables stay with the owner role (so an admin may upgrade again).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROLES = ("agent", "lead", "commander", "admin", "service")
# Owns the schema; NOLOGIN, and admin (NOINHERIT) is its one member (console/store/people.py
# and migrations/env.py name it too).
OWNER = "escalation_owner"
# The columns a push inserts: ``seq`` is left to the identity (a client choosing a low
# seq would hide its event from every puller whose cursor is past it).
PUSH_COLUMNS = ("id", "ticket", "kind", "payload", "author", "device", "hlc", "at")
# What a console can read back (console.store.server checks rows with the same
# patterns): ``Timestamp.encode`` (console/domain/hlc.py) and ``datetime.isoformat`` of
# an aware time (Python reads ``Z`` and a space for ``T`` too).
HLC_PATTERN = r"^[0-9]{15}-[0-9]{6}-.+$"
AT_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
              r"(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$")
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
    FOREACH r IN ARRAY ARRAY[%(roles)s, '%(owner)s'] LOOP
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
    -- admin's members get admin's grants, never the owner's privileges: inheritance
    -- stops at a NOINHERIT role (a cluster migrated by an earlier 0006 has it INHERIT)
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin' AND rolinherit) THEN
        ALTER ROLE admin NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_auth_members m
                   JOIN pg_roles o ON o.oid = m.roleid AND o.rolname = '%(owner)s'
                   JOIN pg_roles a ON a.oid = m.member AND a.rolname = 'admin') THEN
        GRANT %(owner)s TO admin;
    END IF;
    -- a DBA that is no superuser hands the tables over as a member of admin (an admin now)
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
    field text;
BEGIN
    -- 1. an id already in the log: the INSERT's ON CONFLICT skips it, never refused
    PERFORM 1 FROM events WHERE id = NEW.id;
    IF FOUND THEN
        RETURN NEW;
    END IF;
    -- the row must be one every console can read back (console.store.server reads it
    -- the same way), whoever writes it, superusers too: one unreadable row would stop
    -- every console's pull
    IF NEW.hlc !~ '%(hlc)s' THEN
        RAISE EXCEPTION 'event %%: hlc %% is not a hybrid logical clock timestamp '
            '(wall milliseconds, counter, device: 000001772445600000-000000-device)',
            NEW.id, quote_literal(NEW.hlc) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    field := 'at';
    BEGIN
        IF NEW.at ~ '%(at)s' THEN
            PERFORM NEW.at::timestamptz;  -- a pattern cannot tell 30 February
        ELSE
            PERFORM 'not ISO'::timestamptz;
        END IF;
        field := 'payload';
        body := NEW.payload::jsonb;
    EXCEPTION WHEN data_exception THEN
        IF field = 'at' THEN
            RAISE EXCEPTION 'event %%: at %% is not an ISO 8601 time with a UTC offset '
                '(e.g. 2026-03-02T10:00:00+00:00)', NEW.id, quote_literal(NEW.at)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RAISE EXCEPTION 'event %%: payload is not JSON (%%)', NEW.id, SQLERRM
            USING ERRCODE = 'invalid_parameter_value';
    END;
    IF jsonb_typeof(body) <> 'object' THEN
        RAISE EXCEPTION 'event %%: payload is a JSON %%, not an object', NEW.id,
            jsonb_typeof(body) USING ERRCODE = 'invalid_parameter_value';
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
                AND (body ->> 'by') IS DISTINCT FROM 'engine' THEN
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
    schema = _value("SELECT quote_ident(current_schema())")
    # the roles, the schema's rights and the hand-over are the session's to do (a
    # superuser or a CREATEROLE DBA), even when env.py already took the owner role
    op.execute("RESET ROLE")
    op.execute(_CREATE_ROLES % {"roles": _list(ROLES), "owner": OWNER})
    if _value(f"SELECT has_schema_privilege('{OWNER}', current_schema(), 'CREATE')") != "True":
        # with the grant option: the owner grants the roles their USAGE (and takes it back)
        op.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {OWNER} WITH GRANT OPTION")
        op.execute(f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC")
    _own(schema, OWNER, ("events_append_only", "events_notify"))
    # the rest as the owner, whose objects it creates (so does every later migration)
    op.execute(f"SET LOCAL ROLE {OWNER}")
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
    op.execute(_CHECK % {"schema": schema, "service_kinds": _list(SERVICE_KINDS),
                         "engine_kinds": _list(ENGINE_KINDS), "hlc": HLC_PATTERN,
                         "at": AT_PATTERN})
    op.execute("CREATE TRIGGER events_check_insert BEFORE INSERT ON events "
               "FOR EACH ROW EXECUTE FUNCTION events_check_insert()")
    # Reading is open to every role (docs/security.md); writing is what each needs.
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {roles}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {roles}")
    op.execute(f"GRANT INSERT ({', '.join(PUSH_COLUMNS)}) ON events TO {roles}")
    # consoles page when no service is live, so every role claims and delivers
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON notification_claims TO {roles}")
    op.execute("GRANT INSERT, UPDATE ON service_lease TO service")
    # what admins administer (console/store/people.py, console/service/http/tokens.py)
    op.execute("GRANT INSERT, UPDATE ON people, api_tokens TO admin")
    op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA {schema} "
               f"GRANT SELECT ON TABLES TO {roles}")


def _own(schema: str, owner: str, functions: tuple[str, ...]) -> None:
    """Every table of the schema (their sequences follow) and the log's functions that
    ``owner`` does not own yet (ALTER TABLE checks ownership even when nothing changes:
    an admin re-running this after a downgrade owns nothing)."""
    bind = op.get_bind()
    tables = bind.exec_driver_sql(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "
        "AND tableowner <> %(owner)s ORDER BY tablename", {"owner": owner}).scalars().all()
    for table in tables:
        op.execute(f"ALTER TABLE {schema}.{table} OWNER TO {owner}")
    for function in functions:
        if bind.exec_driver_sql(
                "SELECT pg_get_userbyid(proowner) <> %(owner)s FROM pg_proc "
                "WHERE oid = to_regproc(%(name)s)", {"owner": owner, "name": function}).scalar():
            op.execute(f"ALTER FUNCTION {schema}.{function}() OWNER TO {owner}")


def downgrade() -> None:
    """As the owner (env.py takes the role): the tables stay the owner's."""
    if not _postgres():
        return
    roles = ", ".join(ROLES)
    schema = _value("SELECT quote_ident(current_schema())")
    op.execute("DROP TRIGGER events_check_insert ON events")
    op.execute("DROP FUNCTION events_check_insert()")
    op.execute("DROP INDEX events_matrix_published")
    op.execute("DROP TABLE people")
    op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA {schema} "
               f"REVOKE SELECT ON TABLES FROM {roles}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {roles}")
    op.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {roles}")
    # admins read the revision, to upgrade again
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO admin")
    op.execute("GRANT SELECT ON alembic_version TO admin")

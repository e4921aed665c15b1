"""PostgreSQL refuses changes to decisions and to activated rule versions, whatever the code
path (a bulk update, a shell, another service); and staff groups get the credit permissions."""

from django.db import migrations

GUARDS = """
CREATE OR REPLACE FUNCTION credit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are a permanent record and cannot be changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER credit_creditdecision_immutable BEFORE UPDATE OR DELETE ON credit_creditdecision
    FOR EACH ROW EXECUTE FUNCTION credit_refuse_change();
CREATE TRIGGER credit_decisionreason_immutable BEFORE UPDATE OR DELETE ON credit_decisionreason
    FOR EACH ROW EXECUTE FUNCTION credit_refuse_change();

CREATE OR REPLACE FUNCTION credit_scorecard_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'scorecard version % is activated and cannot be deleted', OLD.version
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (NEW.version, NEW.base_points, NEW.attributes, NEW.notes)
            IS DISTINCT FROM (OLD.version, OLD.base_points, OLD.attributes, OLD.notes) THEN
        RAISE EXCEPTION 'scorecard version % is activated and can no longer change', OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER credit_scorecard_frozen BEFORE UPDATE OR DELETE ON credit_scorecard
    FOR EACH ROW EXECUTE FUNCTION credit_scorecard_frozen();

CREATE OR REPLACE FUNCTION credit_policy_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'policy version % is activated and cannot be deleted', OLD.version
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
            NEW.version, NEW.keep_min_score, NEW.reduce_min_score, NEW.freeze_min_score,
            NEW.reduce_share, NEW.closure_buffer_days, NEW.knockouts, NEW.segments, NEW.notes
        ) IS DISTINCT FROM (
            OLD.version, OLD.keep_min_score, OLD.reduce_min_score, OLD.freeze_min_score,
            OLD.reduce_share, OLD.closure_buffer_days, OLD.knockouts, OLD.segments, OLD.notes
        ) THEN
        RAISE EXCEPTION 'policy version % is activated and can no longer change', OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER credit_policy_frozen BEFORE UPDATE OR DELETE ON credit_decisionpolicy
    FOR EACH ROW EXECUTE FUNCTION credit_policy_frozen();
"""

DROP_GUARDS = """
DROP TRIGGER IF EXISTS credit_policy_frozen ON credit_decisionpolicy;
DROP TRIGGER IF EXISTS credit_scorecard_frozen ON credit_scorecard;
DROP TRIGGER IF EXISTS credit_decisionreason_immutable ON credit_decisionreason;
DROP TRIGGER IF EXISTS credit_creditdecision_immutable ON credit_creditdecision;
DROP FUNCTION IF EXISTS credit_policy_frozen();
DROP FUNCTION IF EXISTS credit_scorecard_frozen();
DROP FUNCTION IF EXISTS credit_refuse_change();
"""


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARDS, params=None)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GUARDS, params=None)


def sync_groups(apps, schema_editor):
    from accounts.roles import sync_staff_groups

    sync_staff_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0002_v1_reason_codes_scorecard_policy"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(add_guards, drop_guards),
        migrations.RunPython(sync_groups, migrations.RunPython.noop),
    ]

"""Every record kind's workflow, by name (for diagrams, the API and the store)."""

from workflows.action_plan import ActionPlanWorkflow
from workflows.case import CaseWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.default_notice import DefaultNoticeWorkflow
from workflows.financial_change import FinancialChangeWorkflow
from workflows.milestone import MilestoneWorkflow
from workflows.minutes import MinutesWorkflow
from workflows.notice import NoticeWorkflow
from workflows.safeguarding import ConcernWorkflow
from workflows.suspension import SuspensionWorkflow
from workflows.termination import TerminationWorkflow

WORKFLOWS = {
    "case": CaseWorkflow,
    "notice": NoticeWorkflow,
    "action_plan": ActionPlanWorkflow,
    "milestone": MilestoneWorkflow,
    "default_notice": DefaultNoticeWorkflow,
    "suspension": SuspensionWorkflow,
    "termination": TerminationWorkflow,
    "minutes": MinutesWorkflow,
    "complaint": ComplaintWorkflow,
    "safeguarding_concern": ConcernWorkflow,
    "financial_change": FinancialChangeWorkflow,
}

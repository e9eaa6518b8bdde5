// Package surveyapi is the HTTP face of satisfaction surveys: staff write,
// publish, close and read results; residents list the surveys sent to them
// and answer once.
package surveyapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/survey"
)

// Permissions of the survey routes (core/rbac's catalogue).
const (
	PermRead   = "survey.read"
	PermManage = "survey.manage"
	PermSelf   = "self.survey"
)

// Trend answers the trend route.
type Trend struct {
	Items []survey.TrendPoint `json:"items"`
}

type handlers struct{ svc *survey.Service }

// Routes are the survey domain's rows of the route table.
func Routes(svc *survey.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "survey"
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/surveys", Tag: tag, Summary: "List surveys (filters: community, status)", Permission: PermRead, Query: survey.SurveyFilter{}, Response: httpapi.Page[survey.Survey]{}, Handler: h.list},
		{Method: "POST", Path: "/api/v1/surveys", Tag: tag, Summary: "Write a draft survey: questions (single, multiple, rating 1–5, text), target group, open and close dates", Permission: PermManage, Idempotent: true, Request: survey.SurveyInput{}, Response: survey.Survey{}, Status: http.StatusCreated, Handler: h.create},
		{Method: "GET", Path: "/api/v1/surveys/:id", Tag: tag, Summary: "Get a survey with its questions", Permission: PermRead, Object: true, Response: survey.Survey{}, Handler: h.get},
		{Method: "PUT", Path: "/api/v1/surveys/:id", Tag: tag, Summary: "Replace a draft survey", Permission: PermManage, Object: true, Request: survey.SurveyInput{}, Response: survey.Survey{}, Handler: h.update},
		{Method: "DELETE", Path: "/api/v1/surveys/:id", Tag: tag, Summary: "Delete a draft survey", Permission: PermManage, Object: true, Status: http.StatusNoContent, Handler: h.delete},
		{Method: "POST", Path: "/api/v1/surveys/:id/publish", Tag: tag, Summary: "Publish: send the survey to the residents of its target group (fixed now) and notify them", Permission: PermManage, Object: true, Response: survey.Survey{}, Handler: h.publish},
		{Method: "POST", Path: "/api/v1/surveys/:id/close", Tag: tag, Summary: "Close a published survey before its close date", Permission: PermManage, Object: true, Response: survey.Survey{}, Handler: h.close},
		{Method: "POST", Path: "/api/v1/surveys/:id/paper-answers", Tag: tag, Summary: "Enter a paper questionnaire's answers", Permission: PermManage, Object: true, Request: survey.AnswersInput{}, Response: survey.Submitted{}, Status: http.StatusCreated, Handler: h.paper},
		{Method: "GET", Path: "/api/v1/surveys/:id/results", Tag: tag, Summary: "Results: counts and percentages per option, average rating, response rate", Permission: PermRead, Object: true, Response: survey.Results{}, Handler: h.results},
		{Method: "GET", Path: "/api/v1/surveys/:id/text-answers", Tag: tag, Summary: "The answers to the text questions (?question=code for one), newest first", Permission: PermRead, Object: true, Query: survey.TextQuery{}, Response: httpapi.Page[survey.TextAnswer]{}, Handler: h.texts},
		{Method: "GET", Path: "/api/v1/survey-trends", Tag: tag, Summary: "Average rating of one question code across surveys over time (?code=, default overall; community, from/to)", Permission: PermRead, Query: survey.TrendQuery{}, Response: Trend{}, Handler: h.trend},

		{Method: "GET", Path: "/api/v1/me/surveys", Tag: tag, Summary: "The surveys sent to the signed-in resident, open or answered", Permission: PermSelf, Response: httpapi.Page[survey.MySurvey]{}, Handler: h.mine},
		{Method: "GET", Path: "/api/v1/me/surveys/:id", Tag: tag, Summary: "A survey sent to the signed-in resident, with its questions", Permission: PermSelf, Object: true, Response: survey.MySurvey{}, Handler: h.myOne},
		{Method: "POST", Path: "/api/v1/me/surveys/:id/answers", Tag: tag, Summary: "Answer a survey sent to you (once)", Permission: PermSelf, Object: true, Request: survey.AnswersInput{}, Response: survey.Submitted{}, Status: http.StatusCreated, Handler: h.answer},
	}
}

func (h handlers) list(c *gin.Context) error {
	var f survey.SurveyFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at", "opens_on", "closes_on", "title")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListSurveys(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) create(c *gin.Context) error {
	var in survey.SurveyInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateSurvey(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).Name, in)
	return reply(c, http.StatusCreated, out, err)
}

func (h handlers) get(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetSurvey(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) update(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in survey.SurveyInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateSurvey(c.Request.Context(), httpapi.Tenant(c), id, in)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) delete(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSurvey(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) publish(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.Publish(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) close(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.Close(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) paper(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in survey.AnswersInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.PaperAnswer(c.Request.Context(), httpapi.Tenant(c), id, httpapi.Actor(c).Name, in)
	return reply(c, http.StatusCreated, out, err)
}

func (h handlers) results(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.Results(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) texts(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var q survey.TextQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c)
	if err != nil {
		return err
	}
	items, total, err := h.svc.TextAnswers(c.Request.Context(), httpapi.Tenant(c), id, q.Question, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) trend(c *gin.Context) error {
	var q survey.TrendQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	items, err := h.svc.Trend(c.Request.Context(), httpapi.Tenant(c), q)
	return reply(c, http.StatusOK, Trend{Items: items}, err)
}

func (h handlers) mine(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c)
	if err != nil {
		return err
	}
	items, total, err := h.svc.MySurveys(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) myOne(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.MySurveyByID(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) answer(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in survey.AnswersInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.Answer(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, id, in)
	return reply(c, http.StatusCreated, out, err)
}

func reply(c *gin.Context, status int, body any, err error) error {
	if err != nil {
		return err
	}
	c.JSON(status, body)
	return nil
}

## Reference numbers for survey/design/families.py, predict.py and predmeans.py
## (tests/test_predict.py): svyglm families, links, offsets and cbind() responses,
## predict.svyglm and svypredmeans.
## Run from anywhere:  Rscript tests/reference/regression_predict.R
## Writes tests/reference/regression_predict.json.  R survey 4.1.1, jsonlite;
## data are the committed CSV copies of R's api data in tests/data.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apistrat <- dat("apistrat.csv")
apiclus1 <- dat("apiclus1.csv")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
## glm() stops at a relative deviance change of 1e-8 by default; iterate to the optimum
## (Fisher scoring converges only linearly for the probit and cloglog links: at 1e-14
## the coefficients are still ~4e-8 away, so 1e-15)
tight <- glm.control(epsilon = 1e-15, maxit = 100)

glm_out <- function(m) {
  s <- summary(m)
  ct <- coef(s)
  out <- list(terms = rownames(ct), estimate = unname(ct[, 1]), se = unname(ct[, 2]),
              t = unname(ct[, 3]), p = unname(ct[, 4]), vcov = unname(vcov(m)),
              df_resid = m$df.residual, n = length(m$y), deviance = deviance(m),
              naive_cov = unname(m$naive.cov))
  if (!is.null(attr(m, "deff"))) out$deff <- unname(diag(attr(m, "deff")))
  out
}
pred_out <- function(p) list(estimate = unname(as.vector(coef(p))), se = unname(as.vector(SE(p))),
                             ci = unname(confint(p)))
ref <- list()

## ---- b. families and links ------------------------------------------------
## binomial (not quasi): same estimates and SEs as quasibinomial, deff with dispersion 1
ref$binomial <- glm_out(suppressWarnings(
  svyglm(sch.wide ~ ell + meals, design = dclus1, family = binomial(), deff = TRUE, control = tight)))
ref$quasibinomial <- glm_out(
  svyglm(sch.wide ~ ell + meals, design = dclus1, family = quasibinomial(), deff = TRUE, control = tight))
ref$probit <- glm_out(svyglm(sch.wide ~ ell + meals, design = dclus1,
                             family = quasibinomial(link = "probit"), deff = TRUE, control = tight))
ref$cloglog <- glm_out(svyglm(sch.wide ~ ell + meals, design = dclus1,
                              family = quasibinomial(link = "cloglog"), deff = TRUE, control = tight))
## cbind(successes, failures): meals is the percent of students with subsidised meals
ref$cbind_quasi <- glm_out(svyglm(cbind(meals, 100 - meals) ~ ell + mobility, design = dstrat,
                                  family = quasibinomial(), deff = TRUE, control = tight))
ref$cbind_binomial <- glm_out(svyglm(cbind(meals, 100 - meals) ~ ell + mobility, design = dstrat,
                                     family = binomial(), deff = TRUE, control = tight))
## Poisson with an offset, in the formula and as offset=
ref$poisson_offset <- glm_out(svyglm(api.stu ~ meals + stype + offset(log(enroll)), design = dstrat,
                                     family = poisson(), deff = TRUE, control = tight))
ref$quasipoisson_offset_arg <- glm_out(svyglm(api.stu ~ meals + stype, offset = log(enroll),
                                              design = dstrat, family = quasipoisson(), deff = TRUE,
                                              control = tight))
## Gamma: default inverse link and log link
ref$gamma_inverse <- glm_out(svyglm(enroll ~ meals + ell, design = dstrat, family = Gamma(),
                                    deff = TRUE, control = tight))
ref$gamma_log <- glm_out(svyglm(api00 ~ ell + meals + stype, design = dclus1,
                                family = Gamma(link = "log"), deff = TRUE, control = tight))
## gaussian with a log link
ref$gaussian_log <- glm_out(svyglm(api00 ~ ell + meals, design = dclus1,
                                   family = gaussian(link = "log"), deff = TRUE, control = tight))
## replicate design (JK1 of dclus1): Gamma and an offset, refitted on every replicate
## (one replicate refit of the Poisson model runs to maxit = 100 and R warns "glm.fit:
## algorithm did not converge": its deviance change stalls at rounding level, ~1e-16)
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
ref$jk1_gamma <- glm_out(svyglm(api00 ~ ell + meals, design = rclus1, family = Gamma(link = "log"),
                                control = tight))
ref$jk1_poisson_offset <- glm_out(svyglm(api.stu ~ meals + offset(log(enroll)), design = rclus1,
                                         family = quasipoisson(), control = tight))
## a domain
ref$domain_gamma <- glm_out(svyglm(api00 ~ ell + meals, design = subset(dclus1, stype == "E"),
                                   family = Gamma(link = "log"), deff = TRUE, control = tight))

## ---- a. predict ----------------------------------------------------------------
new <- data.frame(ell = c(0, 20, 40, 60), meals = c(10, 30, 60, 90), mobility = c(5, 15, 25, 35),
                  stype = factor(c("E", "H", "M", "E"), levels = c("E", "H", "M")),
                  enroll = c(300, 600, 900, 1500))
m_lin <- svyglm(api00 ~ ell + meals + mobility, design = dstrat)
ref$predict_linear <- pred_out(predict(m_lin, newdata = new))
ref$predict_linear_vcov <- unname(vcov(predict(m_lin, newdata = new, vcov = TRUE)))
ref$predict_linear_total <- pred_out(predict(m_lin, newdata = new[1:2, ], total = 6194))
m_logit <- svyglm(sch.wide ~ ell + meals, design = dclus1, family = quasibinomial(), control = tight)
ref$predict_logit_link <- pred_out(predict(m_logit, newdata = new, type = "link"))
ref$predict_logit_response <- pred_out(predict(m_logit, newdata = new, type = "response"))
ref$predict_logit_response_vcov <- unname(vcov(predict(m_logit, newdata = new, type = "response",
                                                       vcov = TRUE)))
## default newdata: the fitting rows
ref$predict_logit_fitted <- pred_out(predict(m_logit, type = "response"))
m_gam <- svyglm(enroll ~ meals + ell, design = dstrat, family = Gamma(), control = tight)
ref$predict_gamma_response <- pred_out(predict(m_gam, newdata = new, type = "response"))
## R's predict.svyglm leaves the offset out: the test adds log(enroll) to these
m_off <- svyglm(api.stu ~ meals + stype + offset(log(enroll)), design = dstrat,
                family = poisson(), control = tight)
ref$predict_offset_link_without_offset <- pred_out(predict(m_off, newdata = new, type = "link"))
## categorical predictor, replicate design
m_rep <- svyglm(api00 ~ ell + stype, design = rclus1)
## (SE() of a replicate design's prediction needs vcov = TRUE in survey 4.1.1)
p_rep <- predict(m_rep, newdata = new, vcov = TRUE)
se_rep <- sqrt(diag(vcov(p_rep)))
ref$predict_jk1 <- list(estimate = unname(as.vector(coef(p_rep))), se = unname(se_rep),
                        ci = unname(cbind(coef(p_rep) - qnorm(0.975) * se_rep,
                                          coef(p_rep) + qnorm(0.975) * se_rep)))

## ---- a. svypredmeans --------------------------------------------------------------
pm <- svypredmeans(svyglm(api00 ~ ell + mobility, design = dclus1), ~stype)
ref$predmeans_linear <- list(groups = names(coef(pm)), estimate = unname(coef(pm)),
                             vcov = unname(vcov(pm)))
pm <- svypredmeans(svyglm(sch.wide ~ ell + meals, design = dclus1, family = quasibinomial(),
                          control = tight), ~stype)
ref$predmeans_logit <- list(groups = names(coef(pm)), estimate = unname(coef(pm)),
                            vcov = unname(vcov(pm)))
pm <- svypredmeans(svyglm(api00 ~ ell + mobility, design = rclus1), ~stype)
ref$predmeans_jk1 <- list(groups = names(coef(pm)), estimate = unname(coef(pm)),
                          vcov = unname(vcov(pm)))

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "regression_predict.json"))

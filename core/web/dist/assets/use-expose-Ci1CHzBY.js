import{e as n}from"./index-8u0W7skY.js";import{K as o}from"./index-DKsxa7c3.js";function a(t){const e=o();e&&n(e.proxy,t)}export{a as u};
